# The optional compiled pass (_fastpass.c); see argmin_kmeans._kernel.
def run(
    X: int,
    start: int,
    stop: int,
    d: int,
    ldx: int,
    shift: int,
    scale: float,
    C: int,
    k: int,
    labels: int,
    sums: int,
    counts: int,
    want_inertia: bool,
    is64: bool,
    level: int = -1,
    /,
) -> tuple[float, float]: ...
def level() -> int: ...
