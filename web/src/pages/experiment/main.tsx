import { i18n, isLocale } from '../../i18n/index.ts';
import { mountPage } from '../../ui/mount.tsx';
import { ExperimentPage } from './ExperimentPage.tsx';

// A link may ask for a language (`?lang=en`, e.g. one shared with an English-speaking reviewer):
// shown in it for this view, without changing the stored choice.
const asked = new URLSearchParams(location.search).get('lang');
if (isLocale(asked)) void i18n.changeLanguage(asked);

mountPage(ExperimentPage);
