import { HttpClient } from '@angular/common/http';
import { inject, Injectable } from '@angular/core';
import { Observable } from 'rxjs';

import { RUNTIME_CONFIG } from '../config/runtime-config';
import { User } from './user.model';

/** `/api/me`: the user the access token maps to. */
@Injectable({ providedIn: 'root' })
export class UserService {
  private readonly http = inject(HttpClient);
  private readonly url = `${inject(RUNTIME_CONFIG).apiUrl}/api/me`;

  me(): Observable<User> {
    return this.http.get<User>(this.url);
  }
}
