internal import EMZooCore

/// The regression on row windows (`DataSet.held`) and on more than `DataSet.windowRows` rows:
/// its passes over every row outside the E step — the starting moments, the missingness-pattern
/// groups of the analytic standard errors, the complete-case baseline and the column checks —
/// go block by block (`DataSet.rowBlockSums`, `DataSet.blockRecords`), the same additions in
/// the same order for any number of processes. Smaller data keeps its plain one-pass sums.
extension MissingDataRegression: RowWindowFitting {
  /// Patterns travel as 52-bit masks, so up to 52 columns.
  public var fitsRowWindows: Bool { dimension <= 52 }

  /// Per column, whether two distinct observed values exist, and the first row (of the held
  /// rows, gathered over every process) with no observed entry.
  func windowChecks(_ data: DataSet) -> (varies: [Bool], emptyRow: Int?) {
    let d = data.dimension
    var first = [Double](repeating: .nan, count: d)
    var varies = [Bool](repeating: false, count: d)
    var emptyRow: Int? = nil
    for i in data.heldRows {
      var any = false
      for j in 0..<d {
        let x = data[i, j]
        guard !x.isNaN else { continue }
        any = true
        if first[j].isNaN { first[j] = x } else if x != first[j] { varies[j] = true }
      }
      if !any, emptyRow == nil { emptyRow = i }
    }
    guard data.held != nil else { return (varies, emptyRow) }
    let group = Processes.group
    let width = 2 * d + 1
    let own = [Double(emptyRow ?? -1)] + first + varies.map { $0 ? 1 : 0 }
    let all = group.allGather(own, counts: [Int](repeating: width, count: group.size))
    var globalFirst = [Double](repeating: .nan, count: d)
    var globalVaries = [Bool](repeating: false, count: d)
    var globalEmpty: Int? = nil
    for q in 0..<group.size {
      let base = q * width
      if globalEmpty == nil, all[base] >= 0 { globalEmpty = Int(all[base]) }
      for j in 0..<d {
        if all[base + 1 + d + j] != 0 { globalVaries[j] = true }
        let x = all[base + 1 + j]
        guard !x.isNaN else { continue }
        if globalFirst[j].isNaN { globalFirst[j] = x } else if x != globalFirst[j] { globalVaries[j] = true }
      }
    }
    return (globalVaries, globalEmpty)
  }

  /// `availableMoments` block by block: counts and sums, then squares about the means.
  func blockMoments(_ data: DataSet) -> (means: [Double], variances: [Double]) {
    let D = dimension
    let order = checkedLayout(of: data)
    let sums = data.rowBlockSums(width: 2 * D) { rows, out in
      for a in 0..<D {
        for i in rows where !data[i, order[a]].isNaN {
          out[a] += 1
          out[D + a] += data[i, order[a]]
        }
      }
    }
    var means = [Double](repeating: 0, count: D), variances = [Double](repeating: 1, count: D)
    for a in 0..<D where sums[a] > 0 { means[a] = sums[D + a] / sums[a] }
    let squares = data.rowBlockSums(width: D) { rows, out in
      for a in 0..<D where sums[a] > 0 {
        for i in rows where !data[i, order[a]].isNaN {
          out[a] += (data[i, order[a]] - means[a]) * (data[i, order[a]] - means[a])
        }
      }
    }
    for a in 0..<D where sums[a] > 0 && squares[a] > 0 { variances[a] = squares[a] / sums[a] }
    return (means, variances)
  }

  /// `patternGroups` block by block: each block's groups (in order of first appearance in the
  /// block), merged in block order — the groups in order of first appearance in the data.
  func blockPatternGroups(_ mean: [Double], data: DataSet) -> [PatternGroup] {
    let D = dimension
    let records = data.blockRecords { rows in
      var record: [Double] = []
      for group in patternGroups(mean, data: data, rows: rows) {
        let bits = group.observed.reduce(0) { $0 | (1 << $1) }
        record += [Double(bits), group.count] + group.residualSum + group.residualSquares
      }
      return record
    }
    var index: [Int: Int] = [:]
    var groups: [PatternGroup] = []
    for record in records {
      var p = 0
      while p < record.count {
        let bits = Int(record[p])
        let observed = (0..<D).filter { bits & (1 << $0) != 0 }
        let o = observed.count
        let g: Int
        if let known = index[bits] {
          g = known
        } else {
          g = groups.count
          index[bits] = g
          groups.append(PatternGroup(
            observed: observed, residualSum: [Double](repeating: 0, count: o),
            residualSquares: [Double](repeating: 0, count: o * o)))
        }
        groups[g].count += record[p + 1]
        for k in 0..<o { groups[g].residualSum[k] += record[p + 2 + k] }
        for k in 0..<(o * o) { groups[g].residualSquares[k] += record[p + 2 + o + k] }
        p += 2 + o + o * o
      }
    }
    return groups
  }

  /// The complete rows' count, mean and covariance (divisor n, lower triangle filled) block by
  /// block, for `completeCase`.
  func blockCompleteMoments(_ data: DataSet) -> (count: Int, mean: [Double], covariance: [Double]) {
    let D = dimension, order = checkedLayout(of: data)
    let sums = data.rowBlockSums(width: D + 1) { rows, out in
      for i in rows where order.allSatisfy({ !data[i, $0].isNaN }) {
        out[0] += 1
        for a in 0..<D { out[1 + a] += data[i, order[a]] }
      }
    }
    let n = sums[0]
    guard Int(n) > D else { return (Int(n), [], []) }
    let mean = (0..<D).map { sums[1 + $0] / n }
    var covariance = data.rowBlockSums(width: D * D) { rows, out in
      for i in rows where order.allSatisfy({ !data[i, $0].isNaN }) {
        for a in 0..<D {
          let ea = data[i, order[a]] - mean[a]
          for b in 0...a { out[a * D + b] += ea * (data[i, order[b]] - mean[b]) }
        }
      }
    }
    for a in 0..<D {
      for b in 0...a {
        covariance[a * D + b] /= n
        covariance[b * D + a] = covariance[a * D + b]
      }
    }
    return (Int(n), mean, covariance)
  }
}
