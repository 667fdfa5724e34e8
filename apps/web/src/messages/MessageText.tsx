import { ReactNode } from 'react';

// Same shape as the server's mention parser (docs/realtime.md): @room or @username (3–32 of
// [A-Za-z0-9_.-]), not inside an e-mail address; a trailing '.' or '-' is punctuation.
const TOKEN = /(https?:\/\/[^\s<>"]+[^\s<>".,;:!?)\]'])|(^|[^A-Za-z0-9_.@-])@([A-Za-z0-9_.-]{3,32})/g;

/** Message text with mentions highlighted (stronger when they mean the reader) and web links clickable. */
export function MessageText({ text, me }: { text: string; me: string }) {
  const parts: ReactNode[] = [];
  let last = 0;
  for (const match of text.matchAll(TOKEN)) {
    const index = match.index ?? 0;
    if (match[1]) {
      parts.push(text.slice(last, index));
      parts.push(
        <a key={index} href={match[1]} target="_blank" rel="noopener noreferrer nofollow">
          {match[1]}
        </a>,
      );
      last = index + match[1].length;
      continue;
    }
    const name = match[3].replace(/[.-]+$/, '');
    if (name.length < 3 && name.toLowerCase() !== 'room') continue;
    const start = index + match[2].length;
    parts.push(text.slice(last, start));
    const lower = name.toLowerCase();
    const mine = lower === 'room' || lower === me.toLowerCase();
    parts.push(
      <span key={start} className={`mention${mine ? ' mention-me' : ''}`}>
        @{name}
      </span>,
    );
    last = start + 1 + name.length;
  }
  parts.push(text.slice(last));
  return <span className="message-text">{parts}</span>;
}
