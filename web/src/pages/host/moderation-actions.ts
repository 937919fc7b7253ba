/** Which moderation actions a message offers: only what the server would do to it now (src/modules/chat/service.ts, moderate). */
import type { MessageAction, ModeratedMessage } from '../../../../src/modules/chat/contract.ts';

export function messageActions(message: Pick<ModeratedMessage, 'status' | 'shadow' | 'author'>, pinned: boolean): MessageAction[] {
  if (message.status === 'deleted') return [];
  const actions: MessageAction[] = [];
  if (message.status === 'visible') actions.push(pinned ? 'unpin' : 'pin', 'hide');
  if (message.status === 'hidden') actions.push('unhide');
  actions.push('delete');
  // A message a ban removed: its author is banned already. A shadow-banned author can still be banned outright.
  if (message.author.kind === 'viewer' && message.status !== 'banned') {
    actions.push('ban');
    if (!message.shadow) actions.push('shadow_ban');
  }
  return actions;
}
