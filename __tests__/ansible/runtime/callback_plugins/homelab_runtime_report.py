# Runtime converge fixture: an Ansible callback that writes what the harness's table needs to the
# JSON file named by HOMELAB_RUNTIME_REPORT: per play, the tasks the run's --skip-tags left out
# (the steps not exercised) and the hosts that ran the play; per task result, its host, status and
# whether it was a handler skipped by a condition; per host, the recap counters.
from __future__ import annotations

import json
import os

from ansible import context
from ansible.playbook.block import Block
from ansible.playbook.handler import Handler
from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: homelab_runtime_report
type: aggregate
short_description: Records the homelab runtime converge's report (test fixture)
description:
  - Writes plays, tag-skipped tasks, task results and host stats to $HOMELAB_RUNTIME_REPORT.
requirements:
  - HOMELAB_RUNTIME_REPORT in the environment
"""


def task_label(task) -> str:
    # "role : task name" for role tasks, as Ansible prints them.
    return task.get_name()


def walk(block):
    for part in (block.block, block.rescue, block.always):
        for item in part or []:
            if isinstance(item, Block):
                yield from walk(item)
            else:
                yield item


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "homelab_runtime_report"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self.report = {"plays": [], "results": [], "stats": {}}

    def v2_playbook_on_play_start(self, play):
        skip_tags = set(context.CLIARGS.get("skip_tags") or ())
        not_run = []
        for block in play.compile():
            for task in walk(block):
                if task.action in ("meta", "ansible.builtin.meta") and task.implicit:
                    continue
                tags = set(task.tags or ())
                hit = sorted(tags & skip_tags)
                if hit:
                    not_run.append({"task": task_label(task), "tags": hit})
        # The play's hosts as the run resolves them (--limit applied, group_by groups included).
        try:
            inventory = play.get_variable_manager()._inventory
            hosts = [host.name for host in inventory.get_hosts(play.hosts)]
        except Exception:  # noqa: BLE001 - private API: fall back to the hosts that report results
            hosts = []
        self.report["plays"].append({"name": play.get_name(), "not_run": not_run, "hosts": hosts})

    def _record(self, result, status):
        task = result._task
        play = self.report["plays"][-1]
        host = result._host.get_name()
        if host not in play["hosts"]:
            play["hosts"].append(host)
        self.report["results"].append({
            "play": len(self.report["plays"]) - 1,
            "host": host,
            "task": task_label(task),
            "status": status,
            "handler": isinstance(task, Handler),
            "false_condition": result._result.get("false_condition", "") if status == "skipped" else "",
        })

    def v2_runner_on_ok(self, result):
        self._record(result, "changed" if result._result.get("changed") else "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, "ignored" if ignore_errors else "failed")

    def v2_runner_on_skipped(self, result):
        self._record(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._record(result, "unreachable")

    def v2_playbook_on_stats(self, stats):
        for host in sorted(stats.processed):
            self.report["stats"][host] = stats.summarize(host)
        path = os.environ.get("HOMELAB_RUNTIME_REPORT")
        if path:
            with open(path, "w", encoding="utf-8") as handle:
                json.dump(self.report, handle, indent=1)
