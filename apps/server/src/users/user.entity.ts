import { Role } from '../auth/auth-user';

/** A stored account as a plain object (what UsersRepository returns). */
export interface UserRecord {
  id: string;
  username: string;
  displayName: string;
  passwordHash: string;
  role: Role;
  bannedAt: Date | null;
  bannedReason: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** What clients see of an account (never the password hash). */
export interface UserView {
  id: string;
  username: string;
  displayName: string;
  role: Role;
  banned: boolean;
  createdAt: string;
}

export function toUserView(user: UserRecord): UserView {
  return {
    id: user.id,
    username: user.username,
    displayName: user.displayName,
    role: user.role,
    banned: user.bannedAt !== null,
    createdAt: user.createdAt.toISOString(),
  };
}
