"""Flow support for every case type: custom nodes, the human-node declaration
and the runtime that services use to complete tasks (see runtime.py)."""
