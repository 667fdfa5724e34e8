import type { UserView } from '@palaver/client';
import { useState } from 'react';
import { describeError } from '../app/errors';
import { useChat } from '../app/store-context';
import { useUserSearch } from '../app/use-user-search';
import { PresenceDot } from './PresenceDot';
import { FormError } from '../app/FormError';

/** Who is in the room, with presence; a click opens a direct conversation; members can be invited. */
export function MembersPanel({ roomId }: { roomId: string }) {
  const chat = useChat();
  const room = chat.rooms.get(roomId);
  const [inviting, setInviting] = useState(false);
  const members = [...(chat.members.get(roomId) ?? [])].sort((a, b) => a.username.localeCompare(b.username));

  const message = async (userId: string) => {
    try {
      const direct = await chat.client.socket.openDirect(userId);
      chat.adoptRoom(direct);
      await chat.openRoom(direct.id);
    } catch (err) {
      chat.notify('error', describeError(err));
    }
  };

  return (
    <aside className="members" aria-label="Members">
      <h2>Members</h2>
      <ul>
        {members.map((member) => (
          <li key={member.userId}>
            <PresenceDot status={chat.presence.get(member.userId) ?? 'offline'} />
            <span className="member-name">{member.username}</span>
            {member.role !== 'member' && <span className="hint"> {member.role}</span>}
            {member.userId !== chat.me.id && (
              <button type="button" className="link" onClick={() => void message(member.userId)}>
                Message
              </button>
            )}
          </li>
        ))}
      </ul>
      {room && room.kind !== 'direct' && !room.archived && (
        <>
          <button type="button" onClick={() => setInviting((open) => !open)} aria-expanded={inviting}>
            Invite people
          </button>
          {inviting && <InviteSearch roomId={roomId} memberIds={new Set(members.map((m) => m.userId))} />}
        </>
      )}
    </aside>
  );
}

/** Finds people by username prefix and adds them to the room (the server decides who may invite). */
function InviteSearch({ roomId, memberIds }: { roomId: string; memberIds: Set<string> }) {
  const chat = useChat();
  const [query, setQuery] = useState('');
  const search = useUserSearch(query, 20);
  const [error, setError] = useState<string | null>(null);

  const invite = async (user: UserView) => {
    try {
      await chat.client.rooms.invite(roomId, user.id);
      setError(null);
      await chat.loadMembers(roomId);
    } catch (err) {
      setError(describeError(err));
    }
  };

  return (
    <div className="invite">
      <input
        type="search"
        aria-label="Find people to invite"
        placeholder="Username"
        value={query}
        onChange={(e) => setQuery(e.target.value)}
        autoFocus
      />
      <FormError message={error ?? search.error} />
      <ul>
        {search.users
          .filter((u) => !memberIds.has(u.id))
          .map((user) => (
            <li key={user.id}>
              <span className="member-name">{user.username}</span>
              <button type="button" className="link" onClick={() => void invite(user)}>
                Invite
              </button>
            </li>
          ))}
      </ul>
    </div>
  );
}
