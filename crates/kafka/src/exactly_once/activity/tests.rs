use super::*;

#[test]
fn the_counters_add_up_to_the_activity() {
    let counters = Counters::default();
    counters.committed();
    counters.committed();
    counters.aborted();
    counters.restored(3);
    assert_eq!(
        counters.activity(),
        Activity {
            commits: 2,
            aborts: 1,
            restored: 3
        }
    );
}
