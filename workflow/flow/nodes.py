"""Custom viewflow nodes (open-source viewflow lacks a runtime split).

viewflow 2.4's open-source Split only has fixed branches (`Split.Next` takes
no data source), so a split whose branches are decided at runtime, one per
department or per rater, is ours. Each branch task carries its item in
`task.data`; a plain `flow.Join` joins them, because Join waits for every
task whose token starts with the split's token prefix, however many there are.
"""
from viewflow import this
from viewflow.workflow import Activation
from viewflow.workflow.exceptions import FlowRuntimeError
from viewflow.workflow.flow import Split
from viewflow.workflow.nodes import SplitActivation


class DynamicSplitActivation(SplitActivation):
    @Activation.status.super()
    def activate(self):
        items = list(self.flow_task._items_source(self) or [])
        if not items:
            raise FlowRuntimeError(f"{self.flow_task.name}: no items to split on")
        node = self.flow_task._branch_node
        # SplitActivation.create_next() creates node._create(prev_activation=self,
        # token=<split token n>, data=item) for each (node, item).
        self.next_tasks = [(node, item) for item in items]


class DynamicSplit(Split):
    """DynamicSplit(items_source).Next(this.node)

    items_source(activation) -> list of JSON-serialisable dicts; one `node`
    task is created per item with task.data = item.
    """

    activation_class = DynamicSplitActivation

    def __init__(self, items_source, **kwargs):
        super().__init__(**kwargs)
        self._items_source = items_source

    def Next(self, node):
        self._activate_next = [(node, None, None)]
        return self

    def _resolve(self, instance):
        super()._resolve(instance)
        self._items_source = this.resolve(instance, self._items_source)

    @property
    def _branch_node(self):
        return self._activate_next[0][0]
