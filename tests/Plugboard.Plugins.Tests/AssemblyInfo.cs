// Each test runs a runtime with real plugin processes; on small machines they are more reliable one class at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
