"""Part 7: the hot queries through the async engine (asyncpg) against the sync one (psycopg2).

The same service function, the same keys, the same database as part 3: the sync call through a
Session, the async one through an AsyncSession (`run_sync`: the ORM's work is the same, only the
driver and the event loop differ), each on one pooled connection, calls interleaved so both see
the same machine. The baseline is the sync call.
"""

import asyncio
import random
import time
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.orm import Session

from app.runtime.db import async_url
from scripts.bench.hot_queries import QUERIES, HotQuery
from scripts.bench.measure import median

CALLS = 300


@dataclass(frozen=True)
class Compared:
    query: HotQuery
    sync_ms: list[float]
    async_ms: list[float]

    @property
    def ratio(self) -> float:
        return median(self.async_ms) / median(self.sync_ms)


async def _compare(url, query: HotQuery, calls: int) -> Compared:
    engine = sa.create_engine(url, pool_size=1)
    async_engine = create_async_engine(async_url(url), pool_size=1)
    try:
        with Session(engine) as session:
            keys = list(session.scalars(sa.text(query.keys)))
        random.Random(query.name).shuffle(keys)
        keys = [keys[n % len(keys)] for n in range(calls)]
        sync_ms, async_ms = [], []
        with Session(engine) as session:
            async with AsyncSession(async_engine) as async_session:
                for n, key in enumerate(keys):
                    start = time.perf_counter()
                    query.call(session, key)
                    session.rollback()
                    session.expunge_all()
                    if n >= 10:  # the first calls warm the caches
                        sync_ms.append((time.perf_counter() - start) * 1000)
                    start = time.perf_counter()
                    await async_session.run_sync(query.call, key)
                    await async_session.rollback()
                    async_session.expunge_all()
                    if n >= 10:
                        async_ms.append((time.perf_counter() - start) * 1000)
        return Compared(query, sync_ms, async_ms)
    finally:
        engine.dispose()
        await async_engine.dispose()


def measure(url, calls: int = CALLS) -> list[Compared]:
    async def every_query() -> list[Compared]:
        return [await _compare(url, query, calls) for query in QUERIES]

    return asyncio.run(every_query())
