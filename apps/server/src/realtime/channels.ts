/** Socket.IO room names; built only here so every emitter and joiner agrees. */
export function roomChannel(roomId: string): string {
  return `room:${roomId}`;
}

export function userChannel(userId: string): string {
  return `user:${userId}`;
}
