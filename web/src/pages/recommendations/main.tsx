import { mountPage } from '../../ui/mount.tsx';
import { HowRecommendationsPage } from './HowRecommendationsPage.tsx';

mountPage(HowRecommendationsPage);
