import { mountPage } from '../../ui/mount.tsx';
import '../privacy/privacy.css';
import { GuardianPage } from './GuardianPage.tsx';

mountPage(GuardianPage);
