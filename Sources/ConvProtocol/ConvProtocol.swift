// ConvProtocol: the vocabulary between a training session and whatever shows it.
//
// It owns the events a session reports (`TrainingEvent` and the values they carry), the commands a
// viewer sends back (`TrainingCommand`), the split and image-shape types those name, and their
// encoding as one JSON object per line (`MetricsRecord`, `TrainingCommand.jsonLine()`), which is both
// a run's journal (`metrics.jsonl`) and what a session sends to a dashboard attached from elsewhere.
//
// It imports Foundation and nothing of convtop's: no engine, no data readers, no terminal. The
// training module converts its own types (such as the dataset's `ImageDimensions`) where the two
// meet, so that a dashboard, a journal reader or a socket client depends on this module alone.
