import { mountPage } from '../../ui/mount.tsx';
import { HostPage } from './HostPage.tsx';

mountPage(HostPage);
