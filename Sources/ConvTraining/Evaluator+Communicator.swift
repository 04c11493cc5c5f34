import ConvData
import ConvEngine
import ConvProtocol

extension Evaluator {
    /// Evaluates `model` on `images` with the batches split over the ranks, each rank counting its
    /// own run of them: every rank calls it at the same point, and rank 0 gets the evaluation of the
    /// whole set (the others nil). The ranks' models must be equal, batch-norm statistics included.
    func evaluate(
        _ model: Model, on images: ImageSet, normalization: Normalization, split: Split, epoch: Int, step: Int,
        over communicator: any Communicator
    ) throws -> Evaluation? {
        guard communicator.size > 1 else {
            return evaluate(model, on: images, normalization: normalization, split: split, epoch: epoch, step: step)
        }
        let count = batchCount(images), rank = communicator.rank, size = communicator.size
        let batches = count * rank / size..<count * (rank + 1) / size
        let local = tally(model, on: images, normalization: normalization, batches: batches)
        let gathered = try communicator.gather(local.encoded)
        guard communicator.leads else { return nil }
        let shape = ImageShape(images.dimensions)
        let tallies = try gathered.enumerated().map { rank, values in
            guard let tally = EvaluationTally(decoding: values, classes: local.confusion.counts.count, shape: shape)
            else {
                throw CommunicationError(description: "rank \(rank) sent an evaluation tally that does not decode")
            }
            return tally
        }
        return evaluation(of: tallies, on: images, split: split, epoch: epoch, step: step)
    }
}

extension Communicator {
    /// Makes every rank's batch-norm running statistics rank 0's. Without `--sync-bn` each rank's
    /// drift from its own rows (as under DDP); rank 0's are the ones its checkpoint saves.
    func broadcastBuffers(of model: Model) throws {
        for buffer in model.namedBuffers {
            try broadcast(UnsafeMutableBufferPointer(start: buffer.value.data, count: buffer.value.count))
        }
    }
}

extension EvaluationTally {
    /// The tally as numbers for a collective: the loss sum, the confusion counts row by row, the
    /// number of samples and of mistakes, then each prediction as its index, true and predicted
    /// labels, loss, number of top classes and (label, probability) pairs. Doubles hold every count
    /// and label exactly.
    var encoded: [Double] {
        var values = [lossSum] + confusion.counts.flatMap { $0.map(Double.init) }
        values += [Double(samples.count), Double(mistakes.count)]
        for prediction in samples + mistakes {
            values += [
                Double(prediction.index), Double(prediction.trueLabel), Double(prediction.predictedLabel),
                Double(prediction.loss), Double(prediction.top.count),
            ]
            for entry in prediction.top { values += [Double(entry.label), Double(entry.probability)] }
        }
        return values
    }

    /// Reads `encoded` for `classes` classes, with predictions of images of `shape` (without pixels);
    /// nil when the numbers do not make a tally.
    init?(decoding values: [Double], classes: Int, shape: ImageShape) {
        var reader = values.makeIterator()
        func next() -> Double? { reader.next() }
        func count() -> Int? { next().flatMap { $0 >= 0 && $0 < 1e15 ? Int($0) : nil } }
        guard let lossSum = next() else { return nil }
        var confusion = ConfusionMatrix(classes: classes)
        for row in 0..<classes {
            for column in 0..<classes {
                guard let value = count() else { return nil }
                confusion.counts[row][column] = value
            }
        }
        guard let sampleCount = count(), let mistakeCount = count() else { return nil }
        var predictions: [Prediction] = []
        for _ in 0..<(sampleCount + mistakeCount) {
            guard let index = count(), let trueLabel = count(), let predicted = count(), let loss = next(),
                let topCount = count()
            else { return nil }
            var top: [ClassProbability] = []
            for _ in 0..<topCount {
                guard let label = count(), let probability = next() else { return nil }
                top.append(ClassProbability(label: label, probability: Float(probability)))
            }
            predictions.append(
                Prediction(
                    index: index, trueLabel: trueLabel, predictedLabel: predicted, top: top, loss: Float(loss),
                    image: SampleImage(shape: shape, pixels: [])))
        }
        guard reader.next() == nil else { return nil }
        self.init(
            lossSum: lossSum, confusion: confusion, samples: Array(predictions.prefix(sampleCount)),
            mistakes: Array(predictions.dropFirst(sampleCount)))
    }
}
