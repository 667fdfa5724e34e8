import { Injectable } from '@nestjs/common';
import type { SearchPage, SearchPayload } from '@palaver/client';
import { AuthUser } from '../auth/auth-user';
import { ValidationFailedError } from '../common/domain-error';
import { toMessageView } from '../messages/message.entity';
import { MessagesRepository } from '../messages/messages.repository';
import { RoomAccess } from '../rooms/room-access.service';
import { RoomsRepository } from '../rooms/rooms.repository';
import { SEARCH_PAGE_DEFAULT, SEARCH_PAGE_MAX, SEARCH_TERMS_MAX } from './search.dto';
import { highlightRanges, searchTokens } from './search-tokens';

/**
 * Full-text search without a text index (the docstore has none): each message stores its normalized
 * words in `tokens`; a query is `{roomId: {$in: readable rooms}, tokens: {$all: terms}}`. The room scope
 * is decided first, from the caller's memberships (or one room they may read), so messages of other
 * rooms are never even read.
 */
@Injectable()
export class SearchService {
  constructor(
    private readonly messages: MessagesRepository,
    private readonly rooms: RoomsRepository,
    private readonly access: RoomAccess,
  ) {}

  async search(user: AuthUser, input: SearchPayload): Promise<SearchPage> {
    const terms = searchTokens(input.q);
    if (terms.length === 0) throw new ValidationFailedError('q must contain at least one word', 'q');
    if (terms.length > SEARCH_TERMS_MAX) {
      throw new ValidationFailedError(`q may contain at most ${SEARCH_TERMS_MAX} words`, 'q');
    }
    const roomIds = input.roomId
      ? [(await this.access.require(user, input.roomId, 'room.read')).id]
      : (await this.rooms.membershipsOf(user.id)).map((m) => m.roomId);
    if (roomIds.length === 0) return { hits: [], nextBefore: null };
    const limit = Math.min(Math.max(input.limit ?? SEARCH_PAGE_DEFAULT, 1), SEARCH_PAGE_MAX);
    const rows = await this.messages.search(roomIds, terms, input.before, limit + 1);
    const page = rows.slice(0, limit);
    return {
      hits: page.map((message) => ({
        message: toMessageView(message),
        highlights: highlightRanges(message.text, terms),
      })),
      nextBefore: rows.length > limit ? page[page.length - 1].id : null,
    };
  }
}
