import { Body, Controller, Delete, Get, Param, Patch, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { MessageHistoryPage, SendMessageAck } from '@palaver/client';
import { AuthUser } from '../auth/auth-user';
import { AuthGuard } from '../auth/auth.guard';
import { CurrentUser } from '../auth/current-user.decorator';
import { RoomIdDto } from '../rooms/rooms.dto';
import { MessageView } from './message.entity';
import {
  DeleteMessageDto,
  EditMessageBodyDto,
  HistoryQueryDto,
  MessageHistoryPageDto,
  MessageViewDto,
  SendMessageBodyDto,
  SendMessageAckDto,
} from './messages.dto';
import { MessagesService } from './messages.service';

/** REST face of messages (history for page loads, send/edit/delete for bots); the socket is the live path. */
@ApiTags('messages')
@ApiBearerAuth()
@UseGuards(AuthGuard)
@Controller()
export class MessagesController {
  constructor(private readonly messages: MessagesService) {}

  @Get('rooms/:roomId/messages')
  @ApiOkResponse({ type: MessageHistoryPageDto, description: 'Newest first; `before` is a seq cursor' })
  history(
    @CurrentUser() user: AuthUser,
    @Param() params: RoomIdDto,
    @Query() query: HistoryQueryDto,
  ): Promise<MessageHistoryPage> {
    return this.messages.history(user, { roomId: params.roomId, ...query });
  }

  @Post('rooms/:roomId/messages')
  @ApiCreatedResponse({ type: SendMessageAckDto, description: 'Idempotent by clientMessageId' })
  send(
    @CurrentUser() user: AuthUser,
    @Param() params: RoomIdDto,
    @Body() dto: SendMessageBodyDto,
  ): Promise<SendMessageAck> {
    return this.messages.send(user, { roomId: params.roomId, ...dto });
  }

  @Patch('messages/:messageId')
  @ApiOkResponse({ type: MessageViewDto, description: 'The author only' })
  edit(
    @CurrentUser() user: AuthUser,
    @Param() params: DeleteMessageDto,
    @Body() dto: EditMessageBodyDto,
  ): Promise<MessageView> {
    return this.messages.edit(user, { messageId: params.messageId, text: dto.text });
  }

  @Delete('messages/:messageId')
  @ApiOkResponse({ type: MessageViewDto, description: 'The tombstone (author or room moderator)' })
  delete(@CurrentUser() user: AuthUser, @Param() params: DeleteMessageDto): Promise<MessageView> {
    return this.messages.delete(user, params.messageId);
  }
}
