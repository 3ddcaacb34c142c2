"""A PNG summary of a run: one panel per table, each method's headline metrics with their intervals."""

from __future__ import annotations

from pathlib import Path

from recommender.evaluation.report import OURS, EvaluationReport

HEADLINES = {"people": ("recall@10", "ndcg@10", "mrr"), "answerers": ("p@1", "mrr", "recall@10")}


def write_chart(report: EvaluationReport, path: Path) -> Path:
    """Draw grouped bars with 95% intervals for every table of ``report`` into ``path`` (PNG, Agg backend)."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    tables = report.tables
    figure, axes = plt.subplots(1, max(len(tables), 1), figsize=(6.5 * max(len(tables), 1), 4.8), squeeze=False)
    for axis, table in zip(axes[0], tables, strict=False):
        metrics = HEADLINES.get(report.task, table.columns)
        methods = list(table.results)
        width = 0.8 / max(len(metrics), 1)
        for j, metric in enumerate(metrics):
            values = [table.results[m].metrics[metric].value for m in methods]
            low = [v - table.results[m].metrics[metric].low for v, m in zip(values, methods, strict=True)]
            high = [table.results[m].metrics[metric].high - v for v, m in zip(values, methods, strict=True)]
            positions = [i + (j - (len(metrics) - 1) / 2) * width for i in range(len(methods))]
            axis.bar(positions, values, width, yerr=[low, high], capsize=2, label=metric)
        axis.set_xticks(range(len(methods)))
        axis.set_xticklabels([f"*{m}*" if m == OURS else m for m in methods], rotation=35, ha="right", fontsize=8)
        axis.set_ylim(0, 1)
        size = ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in table.test_size.items())
        axis.set_title(f"{table.title}\n({size})", fontsize=9)
        axis.legend(fontsize=8)
    split = report.cut.how if report.cut is not None else "no split"
    figure.suptitle(f"weaktie eval: {report.task} on {report.dataset} ({split})", fontsize=10)
    figure.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path
