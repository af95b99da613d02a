//! Single flight: callers that ask for the same work while it runs share its one result; a
//! caller that comes after it has finished starts it anew. Nothing is kept once it finishes,
//! so a result is never handed to anyone who was not waiting for it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use futures_util::FutureExt as _;
use futures_util::future::{BoxFuture, Shared};

/// The work under way, by key (a SHA-256 of what identifies it).
pub struct Flights<T> {
    in_flight: Arc<Mutex<HashMap<[u8; 32], Flight<T>>>>,
}

/// `None`: the work panicked or the runtime is shutting down.
type Flight<T> = Shared<BoxFuture<'static, Option<T>>>;

fn lock<T>(map: &Mutex<HashMap<[u8; 32], Flight<T>>>) -> MutexGuard<'_, HashMap<[u8; 32], Flight<T>>> {
    map.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Takes a flight off the map when its work ends, also if the work panics.
struct Landing<T> {
    in_flight: Arc<Mutex<HashMap<[u8; 32], Flight<T>>>>,
    key: [u8; 32],
}

impl<T> Drop for Landing<T> {
    fn drop(&mut self) {
        lock(&self.in_flight).remove(&self.key);
    }
}

impl<T: Clone + Send + Sync + 'static> Flights<T> {
    pub fn new() -> Flights<T> {
        Flights { in_flight: Arc::default() }
    }

    /// `work`'s result, or that of the same key's work already under way (then `work` is
    /// dropped unstarted). The work runs in a task of its own: a caller that goes away does
    /// not cancel it for the others. The flight leaves the map before its result is handed
    /// out, so whoever asks after that starts afresh.
    pub async fn join_or_run(
        &self,
        key: [u8; 32],
        work: impl Future<Output = T> + Send + 'static,
    ) -> Option<T> {
        let flight = {
            let mut in_flight = lock(&self.in_flight);
            match in_flight.get(&key) {
                Some(flight) => flight.clone(),
                None => {
                    let landing = Landing { in_flight: Arc::clone(&self.in_flight), key };
                    let task = tokio::spawn(async move {
                        let result = work.await;
                        drop(landing);
                        result
                    });
                    let flight = async move { task.await.ok() }.boxed().shared();
                    in_flight.insert(key, flight.clone());
                    flight
                }
            }
        };
        flight.await
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        lock(&self.in_flight).len()
    }
}

/// Another handle on the same flights.
impl<T> Clone for Flights<T> {
    fn clone(&self) -> Self {
        Flights { in_flight: Arc::clone(&self.in_flight) }
    }
}

impl<T: Clone + Send + Sync + 'static> Default for Flights<T> {
    fn default() -> Self {
        Flights::new()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// Work that counts its runs and finishes when `gate` is notified.
    fn gated(
        runs: &Arc<AtomicUsize>,
        gate: &Arc<tokio::sync::Notify>,
    ) -> impl Future<Output = usize> + Send + 'static {
        let (runs, gate) = (Arc::clone(runs), Arc::clone(gate));
        async move {
            let run = runs.fetch_add(1, Ordering::SeqCst) + 1;
            gate.notified().await;
            run
        }
    }

    #[tokio::test]
    async fn callers_during_a_flight_share_it_and_callers_after_it_start_anew() {
        let flights = Flights::<usize>::new();
        let runs = Arc::new(AtomicUsize::new(0));
        let gate = Arc::new(tokio::sync::Notify::new());
        let key = [1u8; 32];

        // Five callers while the work is under way: each joins the one flight as soon as it
        // is first polled.
        let mut callers: Vec<_> =
            (0..5).map(|_| Box::pin(flights.join_or_run(key, gated(&runs, &gate)))).collect();
        for caller in &mut callers {
            assert!(caller.now_or_never().is_none());
        }
        assert_eq!(flights.len(), 1);
        // The first caller goes away: the work goes on for the others.
        drop(callers.remove(0));
        while runs.load(Ordering::SeqCst) == 0 {
            tokio::task::yield_now().await;
        }
        gate.notify_one();
        for caller in callers {
            assert_eq!(caller.await, Some(1), "one run, one result for every caller");
        }
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        assert_eq!(flights.len(), 0, "nothing is kept after the flight");

        // Asked again after it finished: the work runs again.
        let again = flights.join_or_run(key, gated(&runs, &gate));
        let notify = async {
            while runs.load(Ordering::SeqCst) < 2 {
                tokio::task::yield_now().await;
            }
            gate.notify_one();
        };
        let (second, ()) = tokio::join!(again, notify);
        assert_eq!(second, Some(2));
        // Another key never shares.
        let other = flights.join_or_run([2u8; 32], async { 7 }).await;
        assert_eq!(other, Some(7));
    }

    #[tokio::test]
    async fn work_that_panics_answers_none_and_leaves_no_flight_behind() {
        let flights = Flights::<usize>::new();
        let answer = flights.join_or_run([3u8; 32], async { panic!("boom") }).await;
        assert_eq!(answer, None);
        assert_eq!(flights.len(), 0);
        assert_eq!(flights.join_or_run([3u8; 32], async { 4 }).await, Some(4));
    }
}
