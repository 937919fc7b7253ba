import { mountPage } from '../../ui/mount.tsx';
import { LivePage } from './LivePage.tsx';

mountPage(LivePage);
