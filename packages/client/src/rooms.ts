import { HttpTransport } from './http';
import {
  CreateRoomPayload,
  MessageHistoryPage,
  MessageView,
  RoomDirectoryPage,
  RoomMemberView,
  RoomRole,
  RoomView,
  SendMessageAck,
} from './protocol';
import { newClientMessageId } from './ids';

const enc = encodeURIComponent;

/** /api/rooms over HTTP: everything about rooms, including management the socket does not offer. */
export class RoomsApi {
  constructor(private readonly http: HttpTransport) {}

  create(input: CreateRoomPayload): Promise<RoomView> {
    return this.http.request('POST', '/rooms', { body: input });
  }

  /** The caller's rooms with their role. */
  listMine(): Promise<RoomView[]> {
    return this.http.request('GET', '/rooms');
  }

  /** Public rooms by name; `q` is a name prefix, `after` the previous page's nextAfter. */
  directory(query: { q?: string; after?: string; limit?: number } = {}): Promise<RoomDirectoryPage> {
    return this.http.request('GET', '/rooms/directory', { query });
  }

  get(roomId: string): Promise<RoomView> {
    return this.http.request('GET', `/rooms/${enc(roomId)}`);
  }

  update(roomId: string, changes: { name?: string; topic?: string; archived?: boolean }): Promise<RoomView> {
    return this.http.request('PATCH', `/rooms/${enc(roomId)}`, { body: changes });
  }

  async delete(roomId: string): Promise<void> {
    await this.http.request('DELETE', `/rooms/${enc(roomId)}`);
  }

  join(roomId: string): Promise<RoomView> {
    return this.http.request('POST', `/rooms/${enc(roomId)}/join`);
  }

  async leave(roomId: string): Promise<void> {
    await this.http.request('POST', `/rooms/${enc(roomId)}/leave`);
  }

  members(roomId: string): Promise<RoomMemberView[]> {
    return this.http.request('GET', `/rooms/${enc(roomId)}/members`);
  }

  invite(roomId: string, userId: string): Promise<RoomMemberView> {
    return this.http.request('POST', `/rooms/${enc(roomId)}/members`, { body: { userId } });
  }

  async kick(roomId: string, userId: string): Promise<void> {
    await this.http.request('DELETE', `/rooms/${enc(roomId)}/members/${enc(userId)}`);
  }

  setRole(roomId: string, userId: string, role: RoomRole): Promise<RoomMemberView> {
    return this.http.request('PUT', `/rooms/${enc(roomId)}/members/${enc(userId)}/role`, { body: { role } });
  }

  /** The direct room with that user, created on first use. */
  openDirect(userId: string): Promise<RoomView> {
    return this.http.request('POST', '/rooms/direct', { body: { userId } });
  }
}

/** Messages over HTTP (page loads, bots); live sending and events go through the socket. */
export class MessagesApi {
  constructor(private readonly http: HttpTransport) {}

  history(roomId: string, query: { before?: number; limit?: number } = {}): Promise<MessageHistoryPage> {
    return this.http.request('GET', `/rooms/${enc(roomId)}/messages`, { query });
  }

  send(
    roomId: string,
    text: string,
    clientMessageId: string = newClientMessageId(),
  ): Promise<SendMessageAck> {
    return this.http.request('POST', `/rooms/${enc(roomId)}/messages`, { body: { text, clientMessageId } });
  }

  edit(messageId: string, text: string): Promise<MessageView> {
    return this.http.request('PATCH', `/messages/${enc(messageId)}`, { body: { text } });
  }

  delete(messageId: string): Promise<MessageView> {
    return this.http.request('DELETE', `/messages/${enc(messageId)}`);
  }
}
