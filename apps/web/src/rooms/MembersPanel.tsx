import { describeError } from '../app/errors';
import { useChat } from '../app/store-context';
import { PresenceDot } from './PresenceDot';

/** Who is in the room, with presence; a click opens a direct conversation. */
export function MembersPanel({ roomId }: { roomId: string }) {
  const chat = useChat();
  const members = [...(chat.members.get(roomId) ?? [])].sort((a, b) => a.username.localeCompare(b.username));

  const message = async (userId: string) => {
    try {
      const room = await chat.client.socket.openDirect(userId);
      chat.adoptRoom(room);
      await chat.openRoom(room.id);
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
    </aside>
  );
}
