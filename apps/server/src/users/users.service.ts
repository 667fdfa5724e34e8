import { Injectable } from '@nestjs/common';
import { AuthUser, Role } from '../auth/auth-user';
import { ForbiddenError, NotFoundError, ValidationFailedError } from '../common/domain-error';
import { DomainEvents } from '../common/domain-events';
import { toUserView, UserRecord, UserView } from './user.entity';
import { UsersRepository } from './users.repository';

export interface UserPage {
  items: UserView[];
  nextCursor: string | null;
}

const RANK: Record<Role, number> = { member: 0, moderator: 1, admin: 2 };

@Injectable()
export class UsersService {
  constructor(
    private readonly users: UsersRepository,
    private readonly events: DomainEvents,
  ) {}

  async getRecord(id: string): Promise<UserRecord> {
    const user = await this.users.findById(id);
    if (!user) throw new NotFoundError('user', 'id');
    return user;
  }

  async get(id: string): Promise<UserView> {
    return toUserView(await this.getRecord(id));
  }

  async getByUsername(username: string): Promise<UserView> {
    const user = await this.users.findByUsername(username);
    if (!user) throw new NotFoundError('user', 'username');
    return toUserView(user);
  }

  /** Public views of several accounts (unknown ids are left out); for other features' payloads. */
  async getMany(ids: readonly string[]): Promise<UserView[]> {
    return (await this.users.findByIds(ids)).map(toUserView);
  }

  async list(query: { q?: string; cursor?: string; limit?: number }): Promise<UserPage> {
    const limit = query.limit ?? 50;
    const rows = await this.users.page({
      prefix: query.q,
      after: query.cursor?.toLowerCase(),
      limit: limit + 1,
    });
    const items = rows.slice(0, limit).map(toUserView);
    const nextCursor = rows.length > limit ? items[items.length - 1].username.toLowerCase() : null;
    return { items, nextCursor };
  }

  async updateProfile(auth: AuthUser, changes: { displayName: string }): Promise<UserView> {
    const displayName = changes.displayName.trim();
    if (!displayName) throw new ValidationFailedError('displayName must not be blank', 'displayName');
    const user = await this.users.update(auth.id, { displayName });
    if (!user) throw new NotFoundError('user', 'id');
    return toUserView(user);
  }

  /** Admins and moderators ban accounts ranked below them; the user's sessions and sockets end at once. */
  async ban(actor: AuthUser, userId: string, reason?: string): Promise<UserView> {
    const target = await this.getRecord(userId);
    this.requireOutranks(actor, target);
    const user = await this.users.update(target.id, { bannedAt: new Date(), bannedReason: reason ?? null });
    await this.events.emitAsync('user.banned', { userId: target.id, by: actor.id });
    return toUserView(user ?? target);
  }

  async unban(actor: AuthUser, userId: string): Promise<UserView> {
    const target = await this.getRecord(userId);
    this.requireOutranks(actor, target);
    const user = await this.users.update(target.id, { bannedAt: null, bannedReason: null });
    return toUserView(user ?? target);
  }

  /** Admin only (enforced by the controller's @Roles and here); admins cannot change their own role. */
  async setRole(actor: AuthUser, userId: string, role: Role): Promise<UserView> {
    if (actor.role !== 'admin') throw new ForbiddenError('only admins change roles');
    if (actor.id === userId) throw new ForbiddenError('admins cannot change their own role');
    await this.getRecord(userId);
    const user = await this.users.update(userId, { role });
    if (!user) throw new NotFoundError('user', 'id');
    // Awaited: the notice to the live sockets on every node is out before the change is acknowledged.
    await this.events.emitAsync('user.role.changed', { userId, role, by: actor.id });
    return toUserView(user);
  }

  private requireOutranks(actor: AuthUser, target: UserRecord): void {
    if (actor.id === target.id) throw new ForbiddenError('you cannot ban yourself');
    if (RANK[actor.role] <= RANK[target.role]) throw new ForbiddenError(`cannot act on a ${target.role}`);
  }
}
