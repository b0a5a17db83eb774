import EMZooCommandLine

EMZooCommandLine.main(registry: .standard)
