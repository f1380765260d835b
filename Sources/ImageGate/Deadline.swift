/// Waits for `work`, cancelling it when `timeout` has passed (nil: no deadline). What the work left undone is the
/// caller's to report as `deadline_exceeded`.
func awaitWithDeadline(_ work: Task<Void, Never>, timeout: Duration?) async {
    guard let timeout else {
        await work.value
        return
    }
    let timer = Task {
        try await Task.sleep(for: timeout)
        work.cancel()
    }
    await work.value
    timer.cancel()
}
