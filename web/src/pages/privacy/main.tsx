import { mountPage } from '../../ui/mount.tsx';
import './privacy.css';
import { PrivacyPage } from './PrivacyPage.tsx';
import { privacyRoute } from './privacy-view.ts';
import { RulesPage } from './RulesPage.tsx';

mountPage(privacyRoute(location.pathname) === 'rules' ? RulesPage : PrivacyPage);
