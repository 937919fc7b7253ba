/** The first-administrator form's rules (the server checks them again). */
import { t } from '../../i18n/index.ts';

export const MIN_PASSWORD_LENGTH = 12;

export interface SetupInput {
  token: string;
  name: string;
  password: string;
  confirm: string;
}

export type SetupErrors = Partial<Record<keyof SetupInput, string>>;

export function validateSetup(input: SetupInput): SetupErrors {
  const errors: SetupErrors = {};
  if (!input.token.trim()) errors.token = t('setup.tokenRequired');
  if (!input.name.trim()) errors.name = t('setup.nameRequired');
  if ([...input.password].length < MIN_PASSWORD_LENGTH) errors.password = t('setup.tooShort');
  else if (input.password !== input.confirm) errors.confirm = t('setup.mismatch');
  return errors;
}
