import type { StaffRole } from '../../context/index.js';

export interface StaffUser {
  id: string;
  name: string;
  role: StaffRole;
  createdAt: number;
  disabled: boolean;
}

export interface StaffUserWithHash extends StaffUser {
  passwordHash: string;
}
