import Dispatch
internal import EMZooCore

/// Work done for a fit outside the E step (packing rows, the k-means passes of a start), split
/// into slices of positions 0..<count, one a thread of the fit's (`FitOptions.preparationThreads`),
/// each of at least `minimum` positions. The callers' work on one position depends on that
/// position alone, so the slicing never changes a bit.
enum PreparationSlices {
  /// The number of slices of `count` positions.
  static func count(_ count: Int, minimum: Int) -> Int {
    max(1, min(FitOptions.preparationThreadCount, count / max(minimum, 1)))
  }

  /// `pass(lower, upper, slice)` for each of the `slices` slices `lower..<upper` of 0..<count, on
  /// a thread each (on the calling thread when there is one). The caller works `slices` out once
  /// with `count(_:minimum:)` and sizes any per-slice results by it: the machine's core count is
  /// read afresh on every call, so two calls could disagree.
  static func run(_ count: Int, slices: Int, _ pass: (_ lower: Int, _ upper: Int, _ slice: Int) -> Void) {
    precondition(slices >= 1)
    if slices == 1 { return pass(0, count, 0) }
    withoutActuallyEscaping(pass) { pass in
      let shared = SharedPass(pass: pass)
      DispatchQueue.concurrentPerform(iterations: slices) { s in
        shared.pass(count * s / slices, count * (s + 1) / slices, s)
      }
    }
  }
}

/// A slice pass shared by the threads of `PreparationSlices.run`: each calls it for its own slice,
/// which writes only its own part of the output.
private struct SharedPass: @unchecked Sendable {
  let pass: (Int, Int, Int) -> Void
}
