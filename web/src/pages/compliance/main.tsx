import { mountPage } from '../../ui/mount.tsx';
import { CompliancePage } from './CompliancePage.tsx';

mountPage(CompliancePage);
