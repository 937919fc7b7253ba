import { mountPage } from '../../ui/mount.tsx';
import { LoginPage } from './LoginPage.tsx';

mountPage(LoginPage);
