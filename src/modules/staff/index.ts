/** Staff accounts (admin, host, moderator, compliance), passwords, sign-in sessions and first-run setup. */
export { StaffService, NAME_PATTERN, MIN_PASSWORD_LENGTH } from './service.js';
export { KyselyStaffStore } from './adapters/staff-store.kysely.js';
export { staffRoutes } from './routes.js';
export { staffNames, type StaffNames } from './directory.js';
export { hashPassword, verifyPassword, OWASP_SCRYPT } from './password.js';
export type { StaffStore } from './ports.js';
export type { StaffUser } from './types.js';
