/**
 * Mounts a page: shared styles, `<html lang>` kept in step, and a full re-render when the language
 * changes (components read `t` directly, so one re-render from the root updates every string).
 */
import { render, type ComponentType } from 'preact';
import { i18n, syncDocumentLanguage } from '../i18n/index.ts';
import './styles.css';

export function mountPage(Page: ComponentType): void {
  const root = document.getElementById('app');
  if (!root) throw new Error('The page has no #app element');
  syncDocumentLanguage(document);
  const draw = (): void => render(<Page />, root);
  i18n.on('languageChanged', draw);
  draw();
}
