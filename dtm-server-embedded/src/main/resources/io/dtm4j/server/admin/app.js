'use strict'; // admin UI
