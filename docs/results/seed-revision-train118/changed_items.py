"""The train items (NL4Opt and NLP4LP) whose top-4 insights differ between two libraries, and
those of them not in earlier runs, written as a JSONL data set for `optiform eval run`.

    python changed_items.py OLD.sqlite NEW.sqlite BENCHMARKS_DIR OUT.jsonl \
        [EARLIER/results.jsonl ...]
"""

import json
import sys
from pathlib import Path

from optiform.library.retrieval import Retriever
from optiform.library.store import InsightStore


def main(old_path: str, new_path: str, bench: str, out: str, *earlier: str) -> None:
    old, new = InsightStore(old_path), InsightStore(new_path)
    retriever = Retriever(old)
    done = {json.loads(line)["id"] for path in earlier
            for line in Path(path).read_text().splitlines()}
    changed, rest = [], []
    for split in ["nl4opt/train.jsonl", "nlp4lp/train.jsonl"]:
        for line in Path(bench, split).read_text().splitlines():
            item = json.loads(line)
            a = [x.id for x in retriever.retrieve(item["question"], 4, old.active())]
            b = [x.id for x in retriever.retrieve(item["question"], 4, new.active())]
            if a != b:
                changed.append(item["id"])
                if item["id"] not in done:
                    rest.append(line + "\n")
    print(len(changed), "changed;", len(rest), "not in the earlier runs")
    Path(out).write_text("".join(rest))


if __name__ == "__main__":
    main(*sys.argv[1:])
