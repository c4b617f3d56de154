import { afterNextRender, Component, ElementRef, inject, viewChild } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MAT_SNACK_BAR_DATA, MatSnackBarModule, MatSnackBarRef } from '@angular/material/snack-bar';

/**
 * "Deleted 'X'. Undo": the snack bar takes the keyboard focus on its Undo button, so the
 * person who just pressed Delete is one key away from taking it back.
 */
@Component({
  selector: 'app-undo-snack-bar',
  imports: [MatButtonModule, MatSnackBarModule],
  template: `
    <div matSnackBarLabel>{{ message }}</div>
    <div matSnackBarActions>
      <button #undo matButton matSnackBarAction type="button" (click)="snackBar.dismissWithAction()">Undo</button>
    </div>
  `,
})
export class UndoSnackBar {
  protected readonly message = inject<string>(MAT_SNACK_BAR_DATA);
  protected readonly snackBar = inject<MatSnackBarRef<UndoSnackBar>>(MatSnackBarRef);
  private readonly undo = viewChild.required('undo', { read: ElementRef<HTMLButtonElement> });

  constructor() {
    afterNextRender(() => this.undo().nativeElement.focus());
  }
}
