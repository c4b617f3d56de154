//! A W3 response body without HTTP or the database: twenty tasks (the bench user's)
//! written as JSON, as the list handler writes them.
//!
//!   cargo bench -p todo-api-bench --bench task_list

use chrono::NaiveDate;
use criterion::{criterion_group, criterion_main, Criterion};

use todo_api::domain::task::Task;

fn bench_task_list(c: &mut Criterion) {
    let day = |n: u32| NaiveDate::from_ymd_opt(2026, 12, n).expect("a December date");
    let tasks: Vec<Task> = (1..=20)
        .map(|n| Task {
            id: i64::from(n),
            title: format!("Task {n}"),
            content: "created by the bench".into(),
            created_on: day(1),
            due_date: day(n),
            completed: n % 2 == 0,
        })
        .collect();
    c.bench_function("task_list/20 tasks to JSON", |b| {
        b.iter(|| serde_json::to_vec(std::hint::black_box(&tasks)).expect("tasks serialise"))
    });
}

criterion_group!(benches, bench_task_list);
criterion_main!(benches);
