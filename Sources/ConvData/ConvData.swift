// ConvData: the images a run trains and evaluates on.
//
// It owns the dataset readers (CIFAR-10 and CIFAR-100 binary batches, MNIST-family IDX files) and
// their decoding (gzip, tar); finding datasets by path or name, and fetching them, checksums
// verified, into `$CONVTOP_DATA` or `~/.cache/convtop`; the Fashion-MNIST subset shipped in
// `Assets/`; per-channel normalisation; augmentation (crops and flips drawn from the seed, the
// epoch and the image's position); and the loaders that turn a dataset into batches, in the same
// order for a given seed whether they run inline or ahead on their own thread.
//
// It imports Foundation and the CZlib shim, nothing else of convtop's: it knows no tensors, no
// training and no terminal, so that its readers can be tested and fuzzed on their own.
