"""A campaign's units of work: one graph, and a block of graphs, the task of a Dask cluster.

``judge_graph`` judges graph i of a campaign: its records and its case files, a pure
function of the campaign's options and i. The local worker pool (``--workers``) hands out
one graph per task. A cluster (``--cluster``) hands out *blocks*: the graphs whose index
i has the same ``i // BLOCK``, within the shard being run. Blocks are fixed by graph index,
never by the number of workers or the cluster's size, so every way of running a campaign
computes the same graphs the same way, and the caller writes them in graph order: the
same bytes. A block amortizes the scheduler's cost per task (about a millisecond) over
``BLOCK`` graphs (~80 ms of CPU each on a warm JAX cache).

A block's failure keeps what came before it: a graph that is bad input (``UserError``) or
runs out of memory ends its block there, and the caller writes the graphs judged before it,
then raises, as the local pool does. A block whose task kills Dask workers again and again
is tried again one graph per task (``split``), so the message names the graph.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from oracle.campaign.rows import rows_frame
from oracle.campaign.spec import Campaign
from oracle.core import address_space, cluster
from oracle.core.case import check_memory, make_case
from oracle.core.errors import UserError, WorkerDied
from oracle.core.options import DEFAULT_MAX_MEMORY
from oracle.core.record import Record
from reference import GraphError, check_graph

BLOCK = 4  # graphs per cluster task: graph i is in block i // BLOCK

Judged = tuple[list[list[Record]], dict[str, str]]  # one graph's records per input set, and case files
Rows = tuple[str, int, dict[str, str]]  # one graph's CSV rows as text, how many, and its case files


def replay_command(path: Path) -> str:
    return f"python -m oracle replay {shlex.quote(str(path))}"


def judge_graph(
    campaign: Campaign, index: int, cases_dir: str, max_memory: int = DEFAULT_MAX_MEMORY
) -> Judged:
    """Records (one list per input set) and case files (id -> JSON text) of one graph of the campaign."""
    from oracle.campaign.judge import judge  # imported in the worker: jax loads once per process
    from oracle.strategies import campaign_graph, campaign_inputs

    graph = campaign_graph(campaign.seed, index, campaign.max_nodes, mode=campaign.mode)
    try:
        check_memory(check_graph(graph), max_memory, batch=campaign.inputs)
    except GraphError as exc:
        raise UserError(f"graph {index} of the campaign {exc}; or use fewer --inputs") from None
    cases = []
    for j in range(campaign.inputs):
        values, cotangent = campaign_inputs(
            graph, campaign.seed, index, j, campaign.dtype, mode=campaign.mode
        )
        cases.append(
            make_case({"graph": graph, "values": values, "cotangent": cotangent, "dtype": campaign.dtype})
        )
    replays = [replay_command(Path(cases_dir) / f"{c.case_id}.json") for c in cases]
    files = {c.case_id: json.dumps(c.to_json()) for c in cases}
    with np.errstate(all="ignore"):  # overflow and NaN become records, not warnings on stderr
        judged = judge(cases, [campaign.seed] * len(cases), replays)
    address_space.relieve()  # a campaign of any length stays within its address space
    return judged, files


@dataclass(frozen=True)
class Block:
    """Graphs of one campaign, judged by one task, in index order."""

    campaign: Campaign
    indices: tuple[int, ...]
    cases_dir: str
    max_memory: int = DEFAULT_MAX_MEMORY


@dataclass
class BlockResult:
    judged: list[Rows] = field(default_factory=list)  # one per index, up to a failure
    problem: str = ""  # why the block stopped early: a UserError's line
    memory: bool = False  # ... or running out of memory


def blocks(campaign: Campaign, indices: Sequence[int], cases_dir: str, max_memory: int) -> Iterator[Block]:
    """The blocks of ``indices`` (graph indices in increasing order): by ``index // BLOCK``."""
    current: list[int] = []
    for index in indices:
        if current and current[0] // BLOCK != index // BLOCK:
            yield Block(campaign, tuple(current), cases_dir, max_memory)
            current = []
        current.append(index)
    if current:
        yield Block(campaign, tuple(current), cases_dir, max_memory)


def describe(block: Block) -> str:
    first, last = block.indices[0], block.indices[-1]
    return f"graph {first}" if first == last else f"graphs {first}-{last}"


def split(block: Block) -> list[Block]:
    return [Block(block.campaign, (i,), block.cases_dir, block.max_memory) for i in block.indices]


def judge_block(block: Block) -> BlockResult:
    """Every graph of the block, in order, until one fails (it is the result's ``problem``)."""
    result = BlockResult()
    for index in block.indices:
        try:
            judged = judge_graph(block.campaign, index, block.cases_dir, block.max_memory)
            result.judged.append(graph_rows(index, judged))
        except UserError as exc:
            result.problem = str(exc)
            break
        except MemoryError:
            result.problem, result.memory = (
                f"a Dask worker ran out of memory while judging graph {index}",
                True,
            )
            break
    return result


def graph_rows(index: int, judged: Judged) -> Rows:
    """One graph's rows as the CSV holds them: made where it was judged, so that on a cluster the
    command only appends text (it writes every row of every worker, and would be the limit)."""
    records, files = judged
    frame = rows_frame(index, records)
    return frame.to_csv(None, header=False, index=False, lineterminator="\n"), len(frame), files


def on_cluster(client: Any, block_tasks: Iterator[Block]) -> Iterator[tuple[int, Rows]]:
    """(index, rows) of every graph of the blocks, in order, computed on the cluster."""
    window = 2 * cluster.width(client) + 2  # blocks in flight: every worker busy, one more ready each
    for block, result in cluster.ordered(
        client, _judge_block_task, block_tasks, window=window, describe=describe, split=split
    ):
        yield from zip(block.indices, result.judged, strict=False)
        if result.memory:
            raise WorkerDied(result.problem)
        if result.problem:
            raise UserError(result.problem)


def _judge_block_task(block: Block) -> tuple[Block, BlockResult]:
    return block, judge_block(block)
