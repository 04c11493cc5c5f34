// ConvTraining: a training run, on a worker thread of its own.
//
// It owns the training session and its worker, which holds every piece of training state (model,
// optimizer, schedule, loss, loader, journal) and is reached only through the channel: commands
// in, events out. It also owns the run's settings (recipes and configuration), the run folder,
// the journal that writes every event to `metrics.jsonl`, the checkpoints that let a run resume
// exactly, evaluation, the one function that builds a model for a dataset, the one that checks a
// checkpoint fits a dataset, and the headless viewer's progress lines.
//
// It imports ConvProtocol (the events and commands it speaks), ConvEngine (the network and its
// training) and ConvData (the images). It knows no terminal: viewers reach it through the channel.
