import type { DemoProject } from './types';

/** A Vue 3 + Pinia app: daily habits with streaks. */
export const habitTracker: DemoProject = {
  id: 'demo-habit-tracker',
  title: 'Habit Tracker',
  slug: 'habit-tracker',
  description: 'A Vue 3 app to track daily habits, with streaks and a weekly view.',
  framework: 'vue',
  createdAt: '2025-01-14T16:40:00.000Z',
  conversation: [
    {
      role: 'user',
      content: 'Create a habit tracker with Vue 3. I want to add habits, tick them off each day and see my current streak.',
    },
    {
      role: 'assistant',
      content:
        "Here's a Vue 3 + Vite app with Pinia for state:\n\n- `src/stores/habits.ts` keeps habits and the days each was done\n- `src/components/AddHabitForm.vue` adds a habit\n- `src/components/HabitList.vue` and `HabitItem.vue` show today's checkbox per habit\n- `src/composables/useStreak.ts` counts consecutive days up to today",
    },
    {
      role: 'user',
      content: 'The streak resets if I open the app before ticking today. Can it count up to yesterday in that case?',
    },
    {
      role: 'assistant',
      content:
        "Good catch. `useStreak` now starts counting from yesterday when today isn't ticked yet, so an open day doesn't break the streak until it's over.",
    },
    {
      role: 'user',
      content: 'Save everything in localStorage please, and add a week strip under each habit.',
    },
    {
      role: 'assistant',
      content:
        'The store now saves to `localStorage` on every change (key `habits:v1`) and loads on start. Each `HabitItem` shows the last seven days as small dots, filled when done.',
    },
  ],
  files: [
    { path: 'src', directory: true },
    { path: 'src/components', directory: true },
    { path: 'src/stores', directory: true },
    { path: 'src/composables', directory: true },
    {
      path: 'package.json',
      content: `{
  "name": "habit-tracker",
  "version": "0.1.0",
  "private": true,
  "type": "module",
  "scripts": {
    "dev": "vite",
    "build": "vue-tsc -b && vite build",
    "preview": "vite preview"
  },
  "dependencies": {
    "pinia": "^2.3.0",
    "vue": "^3.5.13"
  },
  "devDependencies": {
    "@vitejs/plugin-vue": "^5.2.1",
    "typescript": "~5.6.2",
    "vite": "^6.0.5",
    "vue-tsc": "^2.2.0"
  }
}
`,
    },
    {
      path: 'README.md',
      content: `# Habit Tracker

Track daily habits and keep your streaks going. Built with Vue 3, Pinia and Vite.

\`\`\`sh
npm install
npm run dev
\`\`\`

Data stays in your browser (localStorage key \`habits:v1\`).
`,
    },
    {
      path: 'index.html',
      content: `<!doctype html>
<html lang="en">
  <head>
    <meta charset="UTF-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1.0" />
    <title>Habit Tracker</title>
  </head>
  <body>
    <div id="app"></div>
    <script type="module" src="/src/main.ts"></script>
  </body>
</html>
`,
    },
    {
      path: 'vite.config.ts',
      content: `import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';

export default defineConfig({
  plugins: [vue()],
});
`,
    },
    {
      path: 'tsconfig.json',
      content: `{
  "compilerOptions": {
    "target": "ES2020",
    "module": "ESNext",
    "moduleResolution": "bundler",
    "strict": true,
    "jsx": "preserve",
    "lib": ["ES2020", "DOM"],
    "skipLibCheck": true,
    "noEmit": true
  },
  "include": ["src/**/*.ts", "src/**/*.vue"]
}
`,
    },
    {
      path: 'src/main.ts',
      content: `import { createApp } from 'vue';
import { createPinia } from 'pinia';
import App from './App.vue';
import './style.css';

createApp(App).use(createPinia()).mount('#app');
`,
    },
    {
      path: 'src/App.vue',
      content: `<script setup lang="ts">
import AddHabitForm from './components/AddHabitForm.vue';
import HabitList from './components/HabitList.vue';
</script>

<template>
  <main class="container">
    <h1>Habits</h1>
    <AddHabitForm />
    <HabitList />
  </main>
</template>
`,
    },
    {
      path: 'src/style.css',
      content: `body {
  margin: 0;
  font-family: Inter, system-ui, sans-serif;
  background: #f5f7fb;
  color: #1c2434;
}

.container {
  max-width: 640px;
  margin: 0 auto;
  padding: 2rem 1rem;
}

.week {
  display: flex;
  gap: 4px;
}

.week .day {
  width: 10px;
  height: 10px;
  border-radius: 50%;
  background: #d7dce5;
}

.week .day.done {
  background: #3b82f6;
}
`,
    },
    {
      path: 'src/stores/habits.ts',
      content: `import { defineStore } from 'pinia';
import { ref, watch } from 'vue';

export interface Habit {
  id: string;
  name: string;
  /** Days done, as YYYY-MM-DD. */
  done: string[];
}

const KEY = 'habits:v1';

export function today(date = new Date()): string {
  return date.toISOString().slice(0, 10);
}

export const useHabits = defineStore('habits', () => {
  const habits = ref<Habit[]>(JSON.parse(localStorage.getItem(KEY) ?? '[]'));

  watch(habits, (value) => localStorage.setItem(KEY, JSON.stringify(value)), { deep: true });

  function add(name: string) {
    habits.value.push({ id: crypto.randomUUID(), name: name.trim(), done: [] });
  }

  function toggle(id: string, day = today()) {
    const habit = habits.value.find((h) => h.id === id);
    if (!habit) return;
    habit.done = habit.done.includes(day) ? habit.done.filter((d) => d !== day) : [...habit.done, day].sort();
  }

  function remove(id: string) {
    habits.value = habits.value.filter((h) => h.id !== id);
  }

  return { habits, add, toggle, remove };
});
`,
    },
    {
      path: 'src/composables/useStreak.ts',
      content: `import { computed, type Ref } from 'vue';
import { today } from '../stores/habits';

/** Consecutive days done, ending today (or yesterday while today is still open). */
export function useStreak(done: Ref<string[]>) {
  return computed(() => {
    const days = new Set(done.value);
    const cursor = new Date();
    if (!days.has(today(cursor))) cursor.setDate(cursor.getDate() - 1);
    let streak = 0;
    while (days.has(today(cursor))) {
      streak++;
      cursor.setDate(cursor.getDate() - 1);
    }
    return streak;
  });
}
`,
    },
    {
      path: 'src/components/AddHabitForm.vue',
      content: `<script setup lang="ts">
import { ref } from 'vue';
import { useHabits } from '../stores/habits';

const store = useHabits();
const name = ref('');

function submit() {
  if (!name.value.trim()) return;
  store.add(name.value);
  name.value = '';
}
</script>

<template>
  <form class="add-habit" @submit.prevent="submit">
    <input v-model="name" placeholder="New habit, e.g. Read 20 minutes" />
    <button type="submit" :disabled="!name.trim()">Add</button>
  </form>
</template>
`,
    },
    {
      path: 'src/components/HabitList.vue',
      content: `<script setup lang="ts">
import { storeToRefs } from 'pinia';
import { useHabits } from '../stores/habits';
import HabitItem from './HabitItem.vue';

const { habits } = storeToRefs(useHabits());
</script>

<template>
  <ul v-if="habits.length" class="habit-list">
    <HabitItem v-for="habit in habits" :key="habit.id" :habit="habit" />
  </ul>
  <p v-else>No habits yet. Add one above.</p>
</template>
`,
    },
    {
      path: 'src/components/HabitItem.vue',
      content: `<script setup lang="ts">
import { computed, toRef } from 'vue';
import { today, useHabits, type Habit } from '../stores/habits';
import { useStreak } from '../composables/useStreak';

const props = defineProps<{ habit: Habit }>();
const store = useHabits();
const streak = useStreak(toRef(() => props.habit.done));

const week = computed(() =>
  Array.from({ length: 7 }, (_, i) => {
    const d = new Date();
    d.setDate(d.getDate() - (6 - i));
    const day = today(d);
    return { day, done: props.habit.done.includes(day) };
  }),
);
</script>

<template>
  <li class="habit">
    <label>
      <input type="checkbox" :checked="habit.done.includes(today())" @change="store.toggle(habit.id)" />
      {{ habit.name }}
    </label>
    <span class="streak">🔥 {{ streak }}</span>
    <div class="week">
      <span v-for="d in week" :key="d.day" class="day" :class="{ done: d.done }" :title="d.day" />
    </div>
  </li>
</template>
`,
    },
  ],
};
