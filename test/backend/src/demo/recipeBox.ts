import type { DemoProject } from './types';

/** A React + Vite + TypeScript app: a small recipe collection with search and favourites. */
export const recipeBox: DemoProject = {
  id: 'demo-recipe-box',
  title: 'Recipe Box',
  slug: 'recipe-box',
  description: 'A React app to collect recipes, search them by ingredient and keep favourites.',
  framework: 'react',
  createdAt: '2025-01-13T09:12:00.000Z',
  conversation: [
    {
      role: 'user',
      content: 'Build me a recipe app in React with Vite and TypeScript. I want a list of recipes as cards and a search box that filters by title or ingredient.',
    },
    {
      role: 'assistant',
      content:
        "I set up a Vite + React + TypeScript project with a `RecipeList` of `RecipeCard`s and a `SearchBar`.\n\n- `src/data/recipes.ts` holds a few sample recipes\n- `src/hooks/useRecipes.ts` filters them by title or ingredient (case-insensitive)\n- `src/App.tsx` wires the search box to the list\n\nRun `npm install` and `npm run dev` to try it.",
    },
    {
      role: 'user',
      content: 'Nice. Can I mark recipes as favourites and keep them after a reload?',
    },
    {
      role: 'assistant',
      content:
        'Yes: I added a heart button to `RecipeCard` and a `useFavourites` hook that keeps the favourite ids in `localStorage` under `recipe-box:favourites`. The list shows favourites first.',
    },
    {
      role: 'user',
      content: 'Make the cards look a bit nicer, with the cooking time and a tag for vegetarian dishes.',
    },
    {
      role: 'assistant',
      content:
        'Done. Cards now show the total time (prep + cook) and a green "Vegetarian" tag. The styles are in `src/App.css`, using a responsive grid that goes from one column on phones to three on wide screens.',
    },
  ],
  files: [
    { path: 'src', directory: true },
    { path: 'src/components', directory: true },
    { path: 'src/hooks', directory: true },
    { path: 'src/data', directory: true },
    { path: 'public', directory: true },
    {
      path: 'package.json',
      content: `{
  "name": "recipe-box",
  "private": true,
  "version": "0.1.0",
  "type": "module",
  "scripts": {
    "dev": "vite",
    "build": "tsc -b && vite build",
    "preview": "vite preview",
    "lint": "eslint ."
  },
  "dependencies": {
    "react": "^18.3.1",
    "react-dom": "^18.3.1"
  },
  "devDependencies": {
    "@types/react": "^18.3.12",
    "@types/react-dom": "^18.3.1",
    "@vitejs/plugin-react": "^4.3.4",
    "eslint": "^9.17.0",
    "typescript": "~5.6.2",
    "vite": "^6.0.5"
  }
}
`,
    },
    {
      path: 'README.md',
      content: `# Recipe Box

A small React app to collect recipes, search them by title or ingredient, and keep favourites.

## Getting started

\`\`\`sh
npm install
npm run dev
\`\`\`

Open http://localhost:5173.

## Structure

- \`src/components\` – \`RecipeCard\`, \`RecipeList\`, \`SearchBar\`
- \`src/hooks\` – \`useRecipes\` (search) and \`useFavourites\` (kept in localStorage)
- \`src/data/recipes.ts\` – sample recipes
`,
    },
    {
      path: 'index.html',
      content: `<!doctype html>
<html lang="en">
  <head>
    <meta charset="UTF-8" />
    <link rel="icon" type="image/svg+xml" href="/favicon.svg" />
    <meta name="viewport" content="width=device-width, initial-scale=1.0" />
    <title>Recipe Box</title>
  </head>
  <body>
    <div id="root"></div>
    <script type="module" src="/src/main.tsx"></script>
  </body>
</html>
`,
    },
    {
      path: 'vite.config.ts',
      content: `import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// https://vite.dev/config/
export default defineConfig({
  plugins: [react()],
});
`,
    },
    {
      path: 'tsconfig.json',
      content: `{
  "compilerOptions": {
    "target": "ES2020",
    "useDefineForClassFields": true,
    "lib": ["ES2020", "DOM", "DOM.Iterable"],
    "module": "ESNext",
    "skipLibCheck": true,
    "moduleResolution": "bundler",
    "allowImportingTsExtensions": true,
    "isolatedModules": true,
    "noEmit": true,
    "jsx": "react-jsx",
    "strict": true,
    "noUnusedLocals": true,
    "noUnusedParameters": true
  },
  "include": ["src"]
}
`,
    },
    { path: '.gitignore', content: 'node_modules\ndist\n*.local\n.DS_Store\n' },
    {
      path: 'public/favicon.svg',
      content: `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><circle cx="16" cy="16" r="14" fill="#e4572e"/><path d="M10 18h12l-2 6h-8z" fill="#fff"/></svg>
`,
    },
    {
      path: 'src/main.tsx',
      content: `import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import App from './App';
import './App.css';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
`,
    },
    {
      path: 'src/App.tsx',
      content: `import { useState } from 'react';
import { RecipeList } from './components/RecipeList';
import { SearchBar } from './components/SearchBar';
import { useFavourites } from './hooks/useFavourites';
import { useRecipes } from './hooks/useRecipes';

export default function App() {
  const [query, setQuery] = useState('');
  const recipes = useRecipes(query);
  const { favourites, toggle } = useFavourites();

  const sorted = [...recipes].sort((a, b) => Number(favourites.has(b.id)) - Number(favourites.has(a.id)));

  return (
    <main className="app">
      <header>
        <h1>Recipe Box</h1>
        <SearchBar value={query} onChange={setQuery} />
      </header>
      <RecipeList recipes={sorted} favourites={favourites} onToggleFavourite={toggle} />
    </main>
  );
}
`,
    },
    {
      path: 'src/App.css',
      content: `:root {
  font-family: system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif;
  color: #1f2933;
  background: #faf7f2;
}

.app {
  max-width: 1100px;
  margin: 0 auto;
  padding: 2rem 1rem;
}

header {
  display: flex;
  flex-wrap: wrap;
  align-items: center;
  justify-content: space-between;
  gap: 1rem;
}

.recipe-list {
  display: grid;
  grid-template-columns: repeat(auto-fill, minmax(260px, 1fr));
  gap: 1rem;
  margin-top: 1.5rem;
}

.recipe-card {
  background: #fff;
  border-radius: 12px;
  padding: 1rem 1.25rem;
  box-shadow: 0 1px 3px rgba(0, 0, 0, 0.08);
}

.recipe-card .meta {
  color: #52606d;
  font-size: 0.875rem;
}

.tag-vegetarian {
  display: inline-block;
  background: #e3f9e5;
  color: #207227;
  border-radius: 999px;
  padding: 0 0.5rem;
  font-size: 0.75rem;
}

.favourite {
  border: none;
  background: none;
  font-size: 1.25rem;
  cursor: pointer;
}
`,
    },
    {
      path: 'src/types.ts',
      content: `export interface Recipe {
  id: string;
  title: string;
  ingredients: string[];
  steps: string[];
  prepMinutes: number;
  cookMinutes: number;
  vegetarian: boolean;
}
`,
    },
    {
      path: 'src/components/RecipeCard.tsx',
      content: `import type { Recipe } from '../types';

interface RecipeCardProps {
  recipe: Recipe;
  favourite: boolean;
  onToggleFavourite: (id: string) => void;
}

export function RecipeCard({ recipe, favourite, onToggleFavourite }: RecipeCardProps) {
  const total = recipe.prepMinutes + recipe.cookMinutes;
  return (
    <article className="recipe-card">
      <div className="title-row">
        <h2>{recipe.title}</h2>
        <button
          className="favourite"
          aria-pressed={favourite}
          aria-label={favourite ? 'Remove from favourites' : 'Add to favourites'}
          onClick={() => onToggleFavourite(recipe.id)}
        >
          {favourite ? '♥' : '♡'}
        </button>
      </div>
      <p className="meta">
        {total} min · {recipe.ingredients.length} ingredients
        {recipe.vegetarian && <span className="tag-vegetarian">Vegetarian</span>}
      </p>
      <ul>
        {recipe.ingredients.slice(0, 4).map((i) => (
          <li key={i}>{i}</li>
        ))}
      </ul>
    </article>
  );
}
`,
    },
    {
      path: 'src/components/RecipeList.tsx',
      content: `import type { Recipe } from '../types';
import { RecipeCard } from './RecipeCard';

interface RecipeListProps {
  recipes: Recipe[];
  favourites: Set<string>;
  onToggleFavourite: (id: string) => void;
}

export function RecipeList({ recipes, favourites, onToggleFavourite }: RecipeListProps) {
  if (recipes.length === 0) return <p className="empty">No recipes match your search.</p>;
  return (
    <section className="recipe-list">
      {recipes.map((r) => (
        <RecipeCard key={r.id} recipe={r} favourite={favourites.has(r.id)} onToggleFavourite={onToggleFavourite} />
      ))}
    </section>
  );
}
`,
    },
    {
      path: 'src/components/SearchBar.tsx',
      content: `interface SearchBarProps {
  value: string;
  onChange: (value: string) => void;
}

export function SearchBar({ value, onChange }: SearchBarProps) {
  return (
    <input
      type="search"
      className="search"
      placeholder="Search by title or ingredient…"
      value={value}
      onChange={(e) => onChange(e.target.value)}
    />
  );
}
`,
    },
    {
      path: 'src/hooks/useRecipes.ts',
      content: `import { useMemo } from 'react';
import { recipes } from '../data/recipes';
import type { Recipe } from '../types';

/** Recipes whose title or an ingredient contains the query (case-insensitive). */
export function useRecipes(query: string): Recipe[] {
  return useMemo(() => {
    const q = query.trim().toLowerCase();
    if (!q) return recipes;
    return recipes.filter(
      (r) => r.title.toLowerCase().includes(q) || r.ingredients.some((i) => i.toLowerCase().includes(q)),
    );
  }, [query]);
}
`,
    },
    {
      path: 'src/hooks/useFavourites.ts',
      content: `import { useCallback, useEffect, useState } from 'react';

const KEY = 'recipe-box:favourites';

function load(): Set<string> {
  try {
    const raw = localStorage.getItem(KEY);
    return new Set(raw ? (JSON.parse(raw) as string[]) : []);
  } catch {
    return new Set();
  }
}

export function useFavourites() {
  const [favourites, setFavourites] = useState<Set<string>>(load);

  useEffect(() => {
    localStorage.setItem(KEY, JSON.stringify([...favourites]));
  }, [favourites]);

  const toggle = useCallback((id: string) => {
    setFavourites((prev) => {
      const next = new Set(prev);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  }, []);

  return { favourites, toggle };
}
`,
    },
    {
      path: 'src/data/recipes.ts',
      content: `import type { Recipe } from '../types';

export const recipes: Recipe[] = [
  {
    id: 'shakshuka',
    title: 'Shakshuka',
    ingredients: ['4 eggs', '1 can chopped tomatoes', '1 red pepper', '1 onion', '2 cloves garlic', '1 tsp cumin'],
    steps: ['Soften onion and pepper', 'Add garlic, cumin and tomatoes', 'Make wells and crack in the eggs', 'Cover until set'],
    prepMinutes: 10,
    cookMinutes: 20,
    vegetarian: true,
  },
  {
    id: 'chicken-tikka',
    title: 'Chicken tikka skewers',
    ingredients: ['500 g chicken thighs', '150 g yoghurt', '2 tbsp tikka paste', '1 lemon'],
    steps: ['Marinate the chicken for an hour', 'Thread onto skewers', 'Grill for 12 minutes, turning'],
    prepMinutes: 70,
    cookMinutes: 12,
    vegetarian: false,
  },
  {
    id: 'pea-risotto',
    title: 'Pea and mint risotto',
    ingredients: ['300 g arborio rice', '1 l vegetable stock', '200 g peas', 'handful of mint', '50 g parmesan'],
    steps: ['Toast the rice', 'Add stock a ladle at a time', 'Stir in peas, mint and parmesan'],
    prepMinutes: 5,
    cookMinutes: 25,
    vegetarian: true,
  },
  {
    id: 'banana-bread',
    title: 'Banana bread',
    ingredients: ['3 ripe bananas', '75 g melted butter', '150 g sugar', '1 egg', '190 g flour', '1 tsp baking soda'],
    steps: ['Mash the bananas', 'Mix in butter, sugar and egg', 'Fold in flour and soda', 'Bake 60 minutes at 175 °C'],
    prepMinutes: 15,
    cookMinutes: 60,
    vegetarian: true,
  },
];
`,
    },
  ],
};
