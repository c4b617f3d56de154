import { TestBed } from '@angular/core/testing';

import { localToday } from '../core/local-date';
import { setUpApp } from '../../testing/app-testing';
import { TaskForm } from './task-form';
import { TaskInput } from './task.model';

describe('TaskForm', () => {
  beforeEach(() => setUpApp());

  async function render(inputs: Record<string, unknown> = {}) {
    const fixture = TestBed.createComponent(TaskForm);
    for (const [name, value] of Object.entries(inputs)) {
      fixture.componentRef.setInput(name, value);
    }
    const sent: TaskInput[] = [];
    fixture.componentInstance.saved.subscribe((input) => sent.push(input));
    await fixture.whenStable();
    const element: HTMLElement = fixture.nativeElement;
    const field = (name: string) => element.querySelector<HTMLInputElement>(`input[name="${name}"]`)!;
    const type = (name: string, value: string) => {
      field(name).value = value;
      field(name).dispatchEvent(new Event('input'));
    };
    const submit = async () => {
      element.querySelector<HTMLButtonElement>('button[type="submit"]')!.click();
      await fixture.whenStable();
    };
    return { fixture, element, field, type, submit, sent };
  }

  it("sends what was typed, due the person's today unless they chose another day", async () => {
    const { type, submit, sent } = await render();
    type('title', 'Workout');
    type('content', 'Run 5k');
    await submit();
    expect(sent).toEqual([{ title: 'Workout', content: 'Run 5k', due_date: localToday() }]);
  });

  it('reads a typed date as the local day', async () => {
    const { type, submit, sent } = await render();
    type('title', 'Party');
    type('due_date', '12/31/2026');
    await submit();
    expect(sent[0].due_date).toBe('2026-12-31');
  });

  it('does not send while busy: no duplicates', async () => {
    const { fixture, element, submit, sent } = await render({ busy: true });
    expect(element.querySelector<HTMLButtonElement>('button[type="submit"]')!.disabled).toBe(true);
    // Enter in a field submits the form even so; the form refuses.
    element.querySelector('form')!.dispatchEvent(new Event('submit'));
    await submit();
    expect(sent).toEqual([]);
    fixture.componentRef.setInput('busy', false);
    await fixture.whenStable();
    await submit();
    expect(sent.length).toBe(1);
  });

  it("ties the API's messages to their fields: aria-invalid, aria-describedby, the focus", async () => {
    const { fixture, element, field } = await render();
    fixture.componentRef.setInput('errors', {
      title: ['Ensure this field has no more than 50 characters.'],
      due_date: ['Date has wrong format.'],
    });
    await fixture.whenStable();
    for (const [name, message] of [
      ['title', 'Ensure this field has no more than 50 characters.'],
      ['due_date', 'Date has wrong format.'],
    ]) {
      expect(field(name).getAttribute('aria-invalid')).toBe('true');
      const described = field(name)
        .getAttribute('aria-describedby')!
        .split(' ')
        .map((id) => element.querySelector(`#${id}`)?.textContent?.trim());
      expect(described).toContain(message);
    }
    expect(field('content').getAttribute('aria-invalid')).toBe('false');
    expect(document.activeElement).toBe(field('title'));
    expect(element.querySelectorAll('[role="alert"]').length).toBe(0);
  });

  it('shows messages about no one field beside the form', async () => {
    const { fixture, element } = await render();
    fixture.componentRef.setInput('errors', { non_field_errors: ['Something is off.'] });
    await fixture.whenStable();
    const form = element.querySelector('form')!;
    const description = element.querySelector(`#${form.getAttribute('aria-describedby')}`);
    expect(description?.textContent?.trim()).toBe('Something is off.');
  });

  it("fills in the task being edited, and a field's message goes once it is changed", async () => {
    const task = { id: 1, title: 'Old', content: 'c', created_on: '2026-12-01', due_date: '2026-12-24', completed: false };
    const { fixture, field, type } = await render({ task, errors: { title: ['Bad.'] } });
    expect(field('title').value).toBe('Old');
    expect(field('due_date').value).toBe('12/24/2026');
    type('title', 'New');
    await fixture.whenStable();
    expect(field('title').getAttribute('aria-invalid')).toBe('false');
  });
});
