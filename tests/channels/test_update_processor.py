"""The update processor keeps one chat's updates in order without stalling other chats."""

from __future__ import annotations

import asyncio

from telegram import Chat, Message, Update

from bot.channels.telegram.app import PerChatUpdateProcessor


def update_for(chat_id: int, update_id: int) -> Update:
    chat = Chat(chat_id, Chat.PRIVATE)
    message = Message(update_id, date=None, chat=chat, text="x")  # type: ignore[arg-type]
    return Update(update_id, message=message)


async def test_one_chat_in_order_and_a_busy_chat_does_not_block_others() -> None:
    processor = PerChatUpdateProcessor(max_concurrent_updates=4)
    release = asyncio.Event()
    order: list[tuple[int, int]] = []

    async def work(chat_id: int, n: int) -> None:
        if chat_id == 1:
            await release.wait()
        order.append((chat_id, n))

    # Eight updates of a stuck chat, then one of another chat.
    tasks = [
        asyncio.create_task(processor.process_update(update_for(1, n), work(1, n)))
        for n in range(8)
    ]
    other = asyncio.create_task(processor.process_update(update_for(2, 99), work(2, 99)))
    await asyncio.wait_for(other, timeout=2)
    assert order == [(2, 99)]
    release.set()
    await asyncio.gather(*tasks)
    assert order[1:] == [(1, n) for n in range(8)]
