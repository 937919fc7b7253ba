import { mountPage } from '../../ui/mount.tsx';
import { ExperimentPage } from './ExperimentPage.tsx';

// A link's `?lang=en` is honoured by the shared i18n set-up, as on every page.
mountPage(ExperimentPage);
