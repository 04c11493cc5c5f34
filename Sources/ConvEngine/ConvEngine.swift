// ConvEngine: convtop's CNN engine, on the CPU, in Swift alone.
//
// It owns the tensors and the thread pool (Core/), the layers with their forward and backward
// passes (Layers/), the convolution, pooling, batch-norm and elementwise kernels and the choice of
// convolution algorithm (Kernels/), the blocked single-precision matrix multiply they share
// (GEMM/), the optimizers and learning-rate schedules (Optimizers/), the model presets and their
// benchmarks (Model/), and the safetensors checkpoints (Checkpoint/).
//
// It imports none of convtop's other modules, only Foundation, Synchronization and libc: the data
// loading, the training loop and the dashboard build on it, never the other way round.
