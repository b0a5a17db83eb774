# Cross-check of `emzoo select` against R's mclust (not part of .ci/run).
#
#   Rscript bench/select_crosscheck.R [path/to/emzoo]
#
# Fits Old Faithful (R's `faithful`) and iris (the four numeric columns of R's `iris`) with
# Mclust(x, G = 1:5, modelNames = c("VVV", "EEE", "VII", "VVI")) and with
# emzoo select --components 1...5 --covariance full,tied,spherical,diagonal
# (full = VVV, tied = EEE, spherical = VII, diagonal = VVI), and prints both BIC tables
# (mclust BIC = -emzoo BIC), the parameter counts, and the chosen (K, type).
suppressPackageStartupMessages(library(mclust))
args <- commandArgs(trailingOnly = TRUE)
emzoo <- if (length(args) >= 1) args[1] else ".build/release/emzoo"
types <- c(full = "VVV", tied = "EEE", spherical = "VII", diagonal = "VVI")
dir <- tempfile("select"); dir.create(dir)

for (name in c("faithful", "iris")) {
  x <- if (name == "faithful") faithful else iris[, 1:4]
  csv <- file.path(dir, paste0(name, ".csv"))
  write.csv(x, csv, row.names = FALSE)
  spec <- file.path(dir, paste0(name, ".json"))
  writeLines(sprintf('{"name": "%s", "model": "gaussian-mixture", "options": {"components": 1},
    "data": "%s.csv", "fit": {"restarts": 10, "tolerance": 1e-10, "maxIterations": 5000}}', name, name), spec)
  table <- file.path(dir, paste0(name, "-table.json"))
  status <- system2(emzoo, c("select", spec, "--components", "1...5", "--covariance",
                             "full,tied,spherical,diagonal", "--table", table, "--quiet"), stdout = TRUE)
  cat(status, sep = "\n")
  rows <- jsonlite::fromJSON(table)$rows

  # mclust with a tight tolerance, so both report converged maxima.
  m <- Mclust(x, G = 1:5, modelNames = unname(types), verbose = FALSE,
              control = emControl(tol = c(1e-10, sqrt(.Machine$double.eps))))
  I <- mclustICL(x, G = 1:5, modelNames = unname(types),
                 control = emControl(tol = c(1e-10, sqrt(.Machine$double.eps))))
  cat(sprintf("\n%s: mclust best %s,%d (BIC %.4f); emzoo best %s,%d (BIC %.4f)\n", name, m$modelName, m$G,
              m$bic, types[rows$covariance[1]], rows$components[1], -rows$bic[1]))
  cat(sprintf("%-4s %-3s %14s %14s %10s %14s %14s %10s %6s %6s %s\n", "type", "K", "mclust BIC", "-emzoo BIC",
              "rel.diff", "mclust ICL", "-emzoo ICL", "rel.diff", "df", "p", "note"))
  for (i in seq_len(nrow(rows))) {
    type <- types[rows$covariance[i]]; K <- rows$components[i]
    b <- m$BIC[as.character(K), type]
    l <- I[as.character(K), type]
    df <- nMclustParams(type, ncol(x), K)
    note <- if (isTRUE(rows$degenerate[i])) "emzoo: degenerate" else ""
    cat(sprintf("%-4s %-3d %14.4f %14.4f %10.2e %14.4f %14.4f %10.2e %6d %6d %s\n", type, K, b, -rows$bic[i],
                abs(b + rows$bic[i]) / abs(b), l, -rows$icl[i], abs(l + rows$icl[i]) / abs(l), df,
                rows$parameterCount[i], note))
  }
}
