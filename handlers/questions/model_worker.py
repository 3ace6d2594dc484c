"""Training the departments model in a child process, once per bot process.

Training on the departments file takes 0.7-1.8 s of mostly Python-level numpy calls. In a
worker thread at start it held the interpreter lock while the first commands ran (after
the similar-idea index moved to a child, it was what the first `!ideen top` waited for:
`bench.scale --profile` stacks). The question router and the idea categories both use the
model; whichever needs it first starts the child, the other waits for the same one.

`python -m handlers.questions.model_worker` reads the training texts as JSON on standard
input and writes the model (`classifier.model_bytes`) to standard output.
"""

from __future__ import annotations

import asyncio
import json
import logging
import pickle
import sys

from bot.child_process import ChildProcessFailed, run_child
from bot.context import Services
from handlers.questions.classifier import adopt_model, departments_texts, has_model, model_bytes

logger = logging.getLogger(__name__)

STATE_KEY = "departments-model"


async def departments_model(services: Services) -> None:
    """Have the model of the configured departments trained by a child process and adopted.

    Returns at once if there is nothing to train (fewer than two departments) or the model
    is known already. If the child fails, this logs it and returns: the caller's
    `Classifier` then trains in its own thread, as before.
    """
    departments = services.settings.departments
    if len(departments) < 2:
        return
    texts = departments_texts(departments)
    if has_model(texts):
        return
    training = services.state.get(STATE_KEY)
    if training is None:
        training = asyncio.create_task(_train_in_child(texts), name=STATE_KEY)
        services.state[STATE_KEY] = training
    await asyncio.shield(training)


async def _train_in_child(texts: tuple[tuple[str, ...], ...]) -> None:
    try:
        data = await run_child(__name__, json.dumps(texts).encode())
        await asyncio.to_thread(adopt_model, texts, data)
    except (OSError, ValueError, ChildProcessFailed, pickle.UnpicklingError):
        logger.exception("Training the departments model in a child process failed")


def main() -> None:
    texts = tuple(tuple(department) for department in json.loads(sys.stdin.buffer.read()))
    sys.stdout.buffer.write(model_bytes(texts))


if __name__ == "__main__":
    main()
