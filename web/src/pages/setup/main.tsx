import { mountPage } from '../../ui/mount.tsx';
import { SetupPage } from './SetupPage.tsx';

mountPage(SetupPage);
