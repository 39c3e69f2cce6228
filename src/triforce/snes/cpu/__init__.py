"""The 65816 CPU core: all 256 opcodes, emulation and native mode, cycle counts.

```python
from triforce.snes.cpu import CPU, Registers, StopReason
cpu = CPU(bus)
result = cpu.run(max_instructions=100_000)
```
"""

from triforce.snes.cpu.core import CPU, Bus
from triforce.snes.cpu.state import Registers, RunResult, StopReason, TraceEntry

__all__ = ["CPU", "Bus", "Registers", "RunResult", "StopReason", "TraceEntry"]
